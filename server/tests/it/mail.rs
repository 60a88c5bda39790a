//! Email over real SMTP, to a sink this test starts, and the outbox fallback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use lodestar_server::config::Secret;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::support::{decode_mail, find_link, Db, TestApp};

/// A minimal SMTP server that accepts every message and keeps it.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    arrived: Arc<Notify>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (store, signal) = (messages.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (store, signal) = (store.clone(), signal.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.ok()?;
                    while let Some(line) = lines.next_line().await.ok()? {
                        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.ok()?;
                                let mut message = String::new();
                                while let Some(line) = lines.next_line().await.ok()? {
                                    if line == "." {
                                        break;
                                    }
                                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                                    message.push_str("\r\n");
                                }
                                store.lock().unwrap().push(message);
                                signal.notify_one();
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.ok()?;
                                return Some(());
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(reply).await.ok()?;
                    }
                    Some(())
                });
            }
        });
        SmtpSink { port, messages, arrived }
    }

    /// Waits (up to a generous deadline) for the next message.
    async fn next_message(&self) -> String {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let notified = self.arrived.notified();
                if let Some(message) = self.messages.lock().unwrap().pop() {
                    return decode_mail(&message);
                }
                notified.await;
            }
        })
        .await
        .expect("the server sent a message to the SMTP sink")
    }
}

async fn smtp_round_trip(db: Db) {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = TestApp::builder(db).config(move |c| c.auth.smtp_url = Some(Secret::new(url))).build().await;
    assert_eq!(app.sign_up("ada@example.com", "business").await.status, StatusCode::OK);
    let message = sink.next_message().await;
    assert!(message.contains("To: ada@example.com"), "{message}");
    assert!(message.contains("Subject: Confirm your email for Lodestar"), "{message}");
    let link = find_link(&message, "/verify?token=").expect("a verification link");
    assert!(link.starts_with(&app.state.config.public_url), "{link}");
    let token = link.split("token=").nth(1).unwrap();
    let verified =
        app.post_form("/api/accounts/verify-email", &[("token", token)], &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(app.outbox().is_empty(), "with SMTP configured nothing goes to the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_mail_goes_over_smtp_sqlite() {
    smtp_round_trip(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_mail_goes_over_smtp_postgres() {
    smtp_round_trip(Db::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_mail_server_never_fails_the_request() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let app = TestApp::builder(Db::Sqlite).config(move |c| c.auth.smtp_url = Some(Secret::new(url))).build().await;
    let response = app.sign_up("ada@example.com", "business").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(app.count("users").await, 1);
}
