//! The HTTP edge under a hostile client (issue 11 items 7 and 8), over raw TCP against the real
//! app: requests actix's parser refuses are answered with problem+json, slow bodies are cut
//! off, one address cannot hold more than its share of connections, idle keep-alive
//! connections are closed.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{spawn_app_with, TestApp};

fn addr(app: &TestApp) -> SocketAddr {
    app.address.trim_start_matches("http://").parse().unwrap()
}

/// A connection from `from` (any 127.x address is this machine).
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr(app)).await.unwrap()
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Reads one response (the server closes the connection after these).
async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .and_then(|v| v.trim().parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

async fn send_raw(app: &TestApp, request: Vec<u8>) -> Answer {
    let mut stream = connect_from(app, "127.0.0.1").await;
    let (mut reader, mut writer) = stream.split();
    let (_, answer) = tokio::join!(
        async {
            let _ = writer.write_all(&request).await;
        },
        async {
            let mut inner = Vec::new();
            let _ = reader.read_to_end(&mut inner).await;
            inner
        }
    );
    let text = String::from_utf8_lossy(&answer).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Answer {
        status: head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

fn assert_problem_json(answer: &Answer, status: u16, slug: &str) {
    assert_eq!(answer.status, status, "{}\n\n{}", answer.head, answer.body);
    assert!(
        answer
            .head
            .contains("content-type: application/problem+json"),
        "{}",
        answer.head
    );
    let body: Value =
        serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body));
    assert_eq!(body["type"], format!("urn:korsel:problem:{slug}"), "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn requests_the_parser_refuses_get_problem_json() {
    let app = spawn_app_with(|_| {}).await;
    let huge_auth = format!(
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let answer = send_raw(&app, huge_auth.into_bytes()).await;
    assert_problem_json(&answer, 431, "request-header-fields-too-large");

    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-Extra-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let answer = send_raw(&app, many.into_bytes()).await;
    assert_problem_json(&answer, 431, "request-header-fields-too-large");

    let query: Vec<String> = (0..20_000).map(|i| format!("p{i}=1")).collect();
    let long_query = format!(
        "GET /api/v1/users?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        query.join("&")
    );
    let answer = send_raw(&app, long_query.into_bytes()).await;
    // 20,000 parameters make a head over 128 KiB.
    assert_problem_json(&answer, 431, "request-header-fields-too-large");

    let long_uri = format!(
        "GET /api/v1/users?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let answer = send_raw(&app, long_uri.into_bytes()).await;
    assert_problem_json(&answer, 400, "bad-request");

    let smuggled =
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                    Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let answer = send_raw(&app, smuggled.as_bytes().to_vec()).await;
    assert_problem_json(&answer, 400, "bad-request");

    // An ordinary request on the same server is untouched.
    let ok = send_raw(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.head);
}

fn login_head(content_length: usize) -> String {
    format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_slow_body_is_cut_off_with_408() {
    let app = spawn_app_with(|s| {
        s.http.body_grace = Duration::from_secs(1);
        s.http.body_min_bytes_per_second = 100;
    })
    .await;
    let mut stream = connect_from(&app, "127.0.0.1").await;
    stream.write_all(login_head(500).as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for _ in 0..40 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    // One byte every 250 ms is 4 bytes/s, far below 100 bytes/s: cut at about 1 s.
    drop(tokio::time::timeout(Duration::from_secs(3), trickle).await);
    let answer = read_answer(&mut stream).await;
    assert_problem_json(&answer, 408, "request-timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A body at a normal pace is not affected.
    let mut probe = connect_from(&app, "127.0.0.1").await;
    let body = json!({"username": "admin", "password": crate::helpers::ADMIN_PASSWORD}).to_string();
    probe
        .write_all(format!("{}{body}", login_head(body.len())).as_bytes())
        .await
        .unwrap();
    let answer = read_answer(&mut probe).await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.head, answer.body);
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection_and_logins_still_work() {
    let app = spawn_app_with(|s| {
        s.http.max_connections_per_ip = 8;
        s.http.request_head_timeout = Duration::from_secs(30);
        s.http.body_grace = Duration::from_secs(30);
    })
    .await;
    // The attacker, from 127.0.0.2: eight slow logins hold their places…
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut stream = connect_from(&app, "127.0.0.2").await;
        stream.write_all(login_head(100).as_bytes()).await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // …and the ninth is refused at once.
    let mut ninth = connect_from(&app, "127.0.0.2").await;
    ninth.write_all(login_head(100).as_bytes()).await.unwrap();
    let answer = read_answer(&mut ninth).await;
    assert_problem_json(&answer, 429, "too-many-requests");
    assert!(answer.head.contains("retry-after: 1"), "{}", answer.head);

    // Everybody else signs in as usual.
    let started = Instant::now();
    let res = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5));

    // A place given back is free again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect_from(&app, "127.0.0.2").await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut again).await.status, 200);
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let app = spawn_app_with(|s| s.http.keep_alive = Duration::from_secs(1)).await;
    let mut stream = connect_from(&app, "127.0.0.1").await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 200);
    let started = Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle connection stayed open");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
