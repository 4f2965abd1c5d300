//! What the subcommands other than `serve` and `migrate` do.

use super::*;

pub(super) fn payroll_command(cmd: PayrollCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    match cmd {
        PayrollCommand::Export {
            up_to,
            format,
            out,
            grouped,
            style,
            settings: _,
        } => {
            // Write next to the target and rename at the end, so a failed export leaves no file.
            let dir = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let file = tempfile::NamedTempFile::new_in(&dir)
                .with_context(|| format!("cannot write to {}", dir.display()))?;
            let input = payroll::CreateBatch { up_to, format };
            let batch = payroll::create_batch(
                &mut conn,
                &input,
                payroll::Actor::CommandLine,
                &settings.payroll,
                false,
            )?;
            let layout = CsvLayout { grouped, style };
            let mut writer = std::io::BufWriter::new(file);
            let rows = payroll::write_batch_file(&db, batch.id, layout, &mut writer)
                .map_err(anyhow::Error::from)
                .and_then(|rows| {
                    let file = writer.into_inner().map_err(|e| e.into_error())?;
                    file.persist(&out)?;
                    Ok(rows)
                })
                .with_context(|| {
                    format!(
                        "batch {} was made, but {} was not written; download it with \
                         GET /api/v1/payroll/batches/{}/file",
                        batch.id,
                        out.display(),
                        batch.id
                    )
                })?;
            println!(
                "batch {} ({}, up to {}): {} reports, {} km, {} kr; {} {} written to {}",
                batch.id,
                batch.format,
                batch.up_to,
                batch.report_count,
                format_metres_km(batch.total_distance_m),
                format_ore_kr(batch.total_amount_ore),
                rows,
                match (format, rows) {
                    (PayrollFormat::Csv, 1) => "CSV row",
                    (PayrollFormat::Csv, _) => "CSV rows",
                    (PayrollFormat::KmdInd01, 1) => "IND01 record",
                    (PayrollFormat::KmdInd01, _) => "IND01 records",
                },
                out.display()
            );
        }
        PayrollCommand::Batches { page, per_page } => {
            let request = PageRequest { page, per_page };
            request
                .validate()
                .map_err(|(field, e)| anyhow::anyhow!("--{field} {e}"))?;
            let listing = payroll::list_batches(&mut conn, request)?;
            println!(
                "{:>6}  {:<16}  {:<20}  {:<9}  {:<10}  {:>8}  {:>12}  {:>14}  status",
                "id", "created (UTC)", "by", "format", "up to", "reports", "km", "kr"
            );
            for b in &listing.items {
                println!(
                    "{:>6}  {:<16}  {:<20}  {:<9}  {:<10}  {:>8}  {:>12}  {:>14}  {}",
                    b.id,
                    b.created_at.format("%Y-%m-%d %H:%M"),
                    b.created_by,
                    b.format,
                    b.up_to,
                    b.report_count,
                    format_metres_km(b.total_distance_m),
                    format_ore_kr(b.total_amount_ore),
                    b.status.as_str()
                );
            }
            println!(
                "{} of {} batches (page {})",
                listing.items.len(),
                listing.total,
                listing.page
            );
        }
        PayrollCommand::ApiKey(ApiKeyCommand::Create { name }) => {
            let (key, secret) = payroll::create_api_key(&mut conn, &name)?;
            println!(
                "created connector key {:?}; send it as X-Api-Key (shown only now):",
                key.name
            );
            println!("{secret}");
        }
        PayrollCommand::ApiKey(ApiKeyCommand::Revoke { name }) => {
            payroll::revoke_api_key(&mut conn, &name)?;
            println!("revoked connector key {name:?}");
        }
        PayrollCommand::ApiKey(ApiKeyCommand::List) => {
            println!(
                "{:<32}  {:<16}  {:<16}  revoked (UTC)",
                "name", "created (UTC)", "last used (UTC)"
            );
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            for k in payroll::list_api_keys(&mut conn)? {
                println!(
                    "{:<32}  {:<16}  {:<16}  {}",
                    k.name,
                    k.created_at.format("%Y-%m-%d %H:%M"),
                    when(k.last_used_at),
                    when(k.revoked_at)
                );
            }
        }
    }
    Ok(())
}

pub(super) fn track_distance(file: &std::path::Path, with_track: bool) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Upload {
        points: Vec<TrackPoint>,
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let points = if text.trim_start().starts_with('<') {
        parse_gpx(&text).with_context(|| format!("{} is not valid GPX", file.display()))?
    } else {
        serde_json::from_str::<Upload>(&text)
            .with_context(|| {
                format!(
                    "{} is not a track upload ({{\"points\": [...]}})",
                    file.display()
                )
            })?
            .points
    };
    let report = compute_distance(&points, &PipelineParams::default());
    let mut json = serde_json::to_value(&report)?;
    if !with_track {
        if let Some(map) = json.as_object_mut() {
            map.remove("track");
        }
    }
    println!("{json}");
    Ok(())
}

pub(super) fn addresses(cmd: AddressCommand, settings: &Settings) -> anyhow::Result<()> {
    let AddressCommand::Import {
        file,
        format,
        deactivate_missing,
        max_deactivation_percent,
        allow_mass_deactivation,
        skip_invalid,
        dry_run,
    } = cmd;
    let options = address_service::ImportOptions {
        deactivate_missing,
        max_deactivation_percent,
        allow_mass_deactivation,
        skip_invalid,
        dry_run,
    };
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    let size = std::fs::metadata(&file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?
        .len();
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary =
        address_service::import_file(&mut conn, &file, format, &options, |n| bar.set_position(n));
    bar.finish_and_clear();
    let summary = summary?;
    if summary.dry_run {
        println!("dry run: nothing was stored; the import would do this:");
    }
    println!(
        "{} rows in {:.1} s ({} rows/s): {} created, {} updated, {} unchanged, {} deactivated",
        summary.rows,
        summary.seconds,
        summary.rows_per_second,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.deactivated
    );
    if summary.units_created + summary.units_updated + summary.units_unchanged > 0 {
        println!(
            "units: {} created, {} updated, {} unchanged",
            summary.units_created, summary.units_updated, summary.units_unchanged
        );
    }
    if summary.skipped > 0 {
        println!("{} points for unknown addresses skipped", summary.skipped);
    }
    if summary.errors > 0 {
        println!("{} invalid rows skipped, e.g.:", summary.errors);
        for e in &summary.error_samples {
            println!("  {e}");
        }
    }
    if !summary.dry_run {
        println!(
            "running servers on this database load the new addresses within a few seconds \
             (indexing a national registry takes longer)"
        );
    }
    Ok(())
}

/// Runs one import with a progress bar, then prints the created / updated / unchanged summary.
pub(super) fn import_file(
    file: &std::path::Path,
    settings: &Settings,
    org: bool,
) -> anyhow::Result<()> {
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {msg}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.set_message(if org { "org units" } else { "staff" });
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let line = |what: &str, c: &import::Counts| {
        format!(
            "{what:<20} created {:>5}   updated {:>5}   unchanged {:>5}",
            c.created, c.updated, c.unchanged
        )
    };
    let lines = if org {
        let summary = import::import_org_units(&mut conn, &data, &mut progress);
        bar.finish_and_clear();
        let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        vec![
            format!("{}: {} rows", file.display(), summary.rows),
            line("org units", &summary.org_units),
        ]
    } else {
        let summary =
            import::import_staff(&mut conn, &data, AddressSource::Database, &mut progress);
        bar.finish_and_clear();
        let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        vec![
            format!("{}: {} rows", file.display(), summary.rows),
            line("persons", &summary.persons),
            line("employments", &summary.employments),
            line("substitutes", &summary.substitutes),
            line("personal approvers", &summary.personal_approvers),
            line("home addresses", &summary.home_addresses),
            line("licence plates", &summary.vehicles),
        ]
    };
    for l in lines {
        println!("{l}");
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((passwords::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
}

pub(super) fn user(cmd: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    match cmd {
        UserCommand::Add {
            username,
            roles,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            let user = users::create(&mut conn, &username, &password, &Roles::new(roles))?;
            println!(
                "created user {} (id {}) with roles {}",
                user.username,
                user.id,
                user.roles.to_csv()
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List { page, per_page } => {
            let request = PageRequest { page, per_page };
            request
                .validate()
                .map_err(|(field, e)| anyhow::anyhow!("--{field} {e}"))?;
            let listing = users::list(&mut conn, request)?;
            println!(
                "{:>6}  {:<32}  {:<32}  created (UTC)",
                "id", "username", "roles"
            );
            for u in &listing.items {
                println!(
                    "{:>6}  {:<32}  {:<32}  {}",
                    u.id,
                    u.username,
                    u.roles.to_csv(),
                    u.created_at.format("%Y-%m-%d %H:%M")
                );
            }
            println!(
                "{} of {} users (page {})",
                listing.items.len(),
                listing.total,
                listing.page
            );
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            let user = users::find_by_username(&mut conn, &username)?;
            users::set_password(&mut conn, user.id, &password)?;
            println!(
                "password of {} changed; their sessions were ended",
                user.username
            );
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}
