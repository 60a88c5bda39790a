//! Graceful shutdown: requests in flight finish, new connections are refused,
//! and a request that never ends cannot hold the process past the deadline.

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Mutex};

/// A router whose only handler reports that it started, then waits for `release`.
fn holding_router(started: mpsc::Sender<()>, release: oneshot::Receiver<()>) -> Router {
    let release = std::sync::Arc::new(Mutex::new(Some(release)));
    Router::new().route(
        "/hold",
        get(move || async move {
            started.send(()).await.unwrap();
            if let Some(release) = release.lock().await.take() {
                let _ = release.await;
            }
            "finished"
        }),
    )
}

/// A server on a loopback port whose one handler holds its request until
/// released, and the controls a test needs around it.
struct HeldServer {
    addr: std::net::SocketAddr,
    started: mpsc::Receiver<()>,
    release: oneshot::Sender<()>,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_held_server(grace: Duration) -> HeldServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (started_tx, started) = mpsc::channel(1);
    let (release, release_rx) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(lodestar_server::http::serve(
        listener,
        holding_router(started_tx, release_rx),
        async move {
            let _ = stop_rx.await;
        },
        grace,
    ));
    HeldServer { addr, started, release, stop, server }
}

async fn send_get(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn requests_in_flight_finish_and_new_connections_are_refused() {
    let mut held = start_held_server(Duration::from_secs(30)).await;
    let mut client = send_get(held.addr, "/hold").await;
    held.started.recv().await.unwrap();
    held.stop.send(()).unwrap();
    held.release.send(()).unwrap();

    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("finished"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), held.server).await.expect("serve returns").unwrap().unwrap();
    assert!(TcpStream::connect(held.addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn a_request_that_never_ends_cannot_hold_shutdown_past_the_deadline() {
    let mut held = start_held_server(Duration::from_millis(200)).await;
    let _client = send_get(held.addr, "/hold").await;
    held.started.recv().await.unwrap();
    held.stop.send(()).unwrap();
    // Far longer than the 200 ms grace period; without the deadline this
    // never returns, because the handler is never released.
    tokio::time::timeout(Duration::from_secs(10), held.server)
        .await
        .expect("serve gave up on the stuck request")
        .unwrap()
        .unwrap();
    drop(held.release);
}
