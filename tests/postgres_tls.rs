//! TLS to PostgreSQL: a private PostgreSQL cluster started by this test (initdb into a temporary
//! directory, a free port, `ssl = on` with a certificate made here, plain connections refused),
//! so the shared server other tests use is left alone. Skipped, saying so, only where the
//! PostgreSQL server binaries (`initdb`) are not installed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use korsel::app::Application;
use korsel::config::{DatabaseUrl, Secret, Settings};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `$KORSEL_TEST_PG_BIN`, the one of
/// `initdb` on the PATH, or Debian's `/usr/lib/postgresql/<newest>/bin`.
fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KORSEL_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()));
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

/// PostgreSQL refuses to run as root; then the cluster belongs to the `postgres` user.
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A private cluster, stopped and removed on drop.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres_user: bool,
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// initdb, a certificate for `localhost` signed by the CA in `ca.pem`, TLS only.
    fn start(bin: PathBuf) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin,
            dir,
            port,
            as_postgres_user: running_as_root(),
        };
        let (ca, server_cert, server_key) = certificates("korsel test CA");
        std::fs::write(cluster.path("ca.pem"), ca).unwrap();
        std::fs::write(cluster.path("server.crt"), server_cert).unwrap();
        std::fs::write(cluster.path("server.key"), server_key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            cluster.path("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        if cluster.as_postgres_user {
            std::fs::set_permissions(cluster.dir.path(), std::fs::Permissions::from_mode(0o755))
                .unwrap();
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let data = cluster.data().display().to_string();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\n\
             ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\nfsync = off\n",
            dir = cluster.dir.path().display(),
            cert = cluster.path("server.crt"),
            key = cluster.path("server.key"),
        );
        append(&cluster.data().join("postgresql.conf"), &conf);
        // TLS or nothing: a plain connection is turned away.
        std::fs::write(
            cluster.data().join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        let log = cluster.path("server.log");
        cluster.run("pg_ctl", &["-D", &data, "-l", &log, "-w", "start"]);
        cluster
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A CA of that name, and a server certificate for the name `localhost` only, signed by it
/// (PEM).
fn certificates(ca_name: &str) -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem())
}

fn settings(url: String) -> Settings {
    let mut settings = Settings::with_database(url.parse::<DatabaseUrl>().unwrap());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.admin_password = Some(Secret::new("admin-password-for-tls-test"));
    settings.workers = Some(1);
    settings
}

async fn starts(url: String) -> Result<(), String> {
    match Application::build(settings(url)).await {
        Ok(app) => {
            let port = app.port();
            tokio::spawn(app.run_until_stopped());
            let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
                .await
                .map_err(|e| e.to_string())?;
            assert_eq!(ready.status(), 200);
            Ok(())
        }
        Err(e) => Err(format!("{e:#}")),
    }
}

#[tokio::test]
async fn connects_over_tls_from_require_to_verify_full() {
    let Some(bin) = postgres_bin_dir() else {
        eprintln!(
            "SKIPPED connects_over_tls_from_require_to_verify_full: initdb not found (install the \
             PostgreSQL server package, or set KORSEL_TEST_PG_BIN to the directory holding initdb)"
        );
        return;
    };
    let cluster = Cluster::start(bin);
    let ca = cluster.path("ca.pem");

    let plain = starts(cluster.url("127.0.0.1", "sslmode=disable")).await;
    assert!(
        plain.as_ref().is_err_and(|e| e.contains("no encryption")),
        "the server takes TLS only: {plain:?}"
    );
    starts(cluster.url("127.0.0.1", "sslmode=require"))
        .await
        .expect("sslmode=require");
    starts(cluster.url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")))
        .await
        .expect("sslmode=verify-ca with the CA");
    starts(cluster.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .expect("sslmode=verify-full with the CA and the certificate's name");

    // The certificate names `localhost`, not 127.0.0.1: verify-full refuses that host.
    let wrong_name = starts(cluster.url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(
        wrong_name
            .as_ref()
            .is_err_and(|e| e.contains("does not match host name")),
        "{wrong_name:?}"
    );
    // Another CA's file: the server's certificate is not trusted.
    let (other_ca, _, _) = certificates("someone else's CA");
    let other = cluster.path("other-ca.pem");
    std::fs::write(&other, other_ca).unwrap();
    let untrusted = starts(cluster.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    ))
    .await;
    assert!(
        untrusted
            .as_ref()
            .is_err_and(|e| e.contains("certificate verify failed")),
        "{untrusted:?}"
    );
}
