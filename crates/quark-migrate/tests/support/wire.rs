//! A TCP proxy on 127.0.0.1 that counts the round trips clients make to a server: one each time
//! a client sends after it has received (or sends first), having waited for an answer. The
//! drivers' own exchanges (handshake, authentication, TLS, session settings) count like any.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Which way the last bytes of a connection went.
#[derive(Clone, Copy, PartialEq)]
enum Way {
    Out,
    In,
}

/// A proxy to a server's port, counting round trips over every connection it carries.
pub struct Counter {
    port: u16,
    trips: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Counter {
    /// Listens on a free port of 127.0.0.1 and carries each connection to `upstream`.
    pub fn new(upstream: u16) -> Counter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let trips = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (t, o) = (trips.clone(), open.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let last = Arc::new(Mutex::new(None));
                o.fetch_add(2, Ordering::SeqCst);
                for (from, to, way) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        Way::Out,
                    ),
                    (
                        server.try_clone().unwrap(),
                        client.try_clone().unwrap(),
                        Way::In,
                    ),
                ] {
                    let (t, o, last) = (t.clone(), o.clone(), last.clone());
                    thread::spawn(move || pump(from, to, way, &last, &t, &o));
                }
            }
        });
        Counter { port, trips, open }
    }

    /// `url` (a server URL naming the upstream port) pointed at the proxy.
    pub fn url(&self, url: &str, upstream: u16) -> String {
        url.replace(&format!(":{upstream}/"), &format!(":{}/", self.port))
    }

    /// The round trips counted since the last call, once every connection has closed (waiting
    /// at most 10 s).
    pub fn take(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            self.open.load(Ordering::SeqCst),
            0,
            "a connection stayed open"
        );
        self.trips.swap(0, Ordering::SeqCst)
    }
}

/// Copies `from` to `to` until either closes, counting a round trip when the client speaks
/// after the server did.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    way: Way,
    last: &Mutex<Option<Way>>,
    trips: &AtomicUsize,
    open: &AtomicUsize,
) {
    let mut buf = [0u8; 65536];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        {
            let mut last = last.lock().unwrap();
            if way == Way::Out && *last != Some(Way::Out) {
                trips.fetch_add(1, Ordering::SeqCst);
            }
            *last = Some(way);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
    open.fetch_sub(1, Ordering::SeqCst);
}
