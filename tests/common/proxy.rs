//! A TCP forwarder that can be stopped and started again on its port: the
//! network going and coming back, for real.
#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// A TCP forwarder to the demo shop that can be stopped: then its port
/// refuses connections, and the connections it carried are cut.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    alive: watch::Sender<bool>,
}

impl Proxy {
    /// Starts forwarding to `target` on any port.
    pub async fn start(target: SocketAddr) -> Self {
        Self::start_on(0, target).await
    }

    /// On `port` (0: any), e.g. the port of a proxy stopped before.
    pub async fn start_on(port: u16, target: SocketAddr) -> Self {
        let listener = listen(port).await;
        let addr = listener.local_addr().unwrap();
        let (alive, watching) = watch::channel(true);
        tokio::spawn(async move {
            let mut stop = watching.clone();
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stop.changed() => return,
                };
                let Ok((mut inbound, _)) = accepted else {
                    return;
                };
                let mut stop = watching.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        });
        Self { addr, alive }
    }

    /// From now on the port refuses connections.
    pub fn stop(&self) {
        let _ = self.alive.send(false);
    }
}

/// A listener on loopback `port` (0: any), which may be taken again at once.
pub async fn listen(port: u16) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(([127, 0, 0, 1], port).into()).unwrap();
    socket.listen(64).unwrap()
}
