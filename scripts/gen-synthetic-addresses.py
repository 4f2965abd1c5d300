#!/usr/bin/env python3
"""Synthetic national-size DAWA CSV for import benchmarks (BENCHMARKS.md, "Address registry").

    scripts/gen-synthetic-addresses.py 2500000 /tmp/national-synthetic.csv

Fanø rows from ../shared/fixtures with new UUIDs and random coordinates over Denmark."""
import csv, os, sys, uuid, random
n = int(sys.argv[1]); out = sys.argv[2]
rows = list(csv.DictReader(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv'), encoding='utf-8')))
streets = sorted({r['vejnavn'] for r in rows})
random.seed(42)
cols = ['id','status','vejnavn','husnr','supplerendebynavn','postnr','postnrnavn','kommunekode','wgs84koordinat_bredde','wgs84koordinat_længde']
with open(out, 'w', encoding='utf-8', newline='') as f:
    w = csv.writer(f); w.writerow(cols)
    for i in range(n):
        r = rows[i % len(rows)]
        lat = 54.6 + random.random() * 3.0; lon = 8.1 + random.random() * 4.5
        w.writerow([str(uuid.UUID(int=random.getrandbits(128), version=4)), r['status'], streets[(i // 37) % len(streets)] + (' ' + str(i // 50000) if i >= 50000 else ''), str(1 + i % 250), r['supplerendebynavn'], r['postnr'], r['postnrnavn'], r['kommunekode'], '%.8f' % lat, '%.8f' % lon])
