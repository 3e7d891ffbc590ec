//! The one place that binds an emulator's listener: `127.0.0.1`, an OS-chosen port.

use axum::serve::ListenerExt;

/// Binds a loopback listener on an OS-chosen port and serves `router` on it
/// until `shutdown` fires. Both emulators use it, so the "loopback only"
/// rule lives in exactly one place.
pub(crate) async fn serve_loopback(
    router: axum::Router,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    // Without it a streamed answer's small frames wait on Nagle's algorithm for the client's
    // delayed ACK: ~40 ms a stream on Linux that no real server adds (uvicorn, nginx and
    // OpenAI's edge all set it).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|stopped| *stopped).await;
        };
        if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(stop).await {
            tracing::warn!("emulator server on {addr} failed: {e}");
        }
    });
    Ok((addr, task))
}
