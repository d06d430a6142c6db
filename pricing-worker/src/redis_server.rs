//! A `redis-server` process of one's own, for the workspace's tests and benches: on a free
//! port, in a temporary directory, with AOF on, and able to be killed (`kill -9`) and
//! restarted on the same port and data. Never the system Redis, never a mock.
//!
//! It lives in the library (hidden from the docs) because four places need the same
//! thing: the worker's reliability tests, the worker bench, the CLI's queue tests and the
//! queue bench.

use std::io;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a fresh server gets to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A free TCP port on 127.0.0.1 (free when asked; the OS may hand it out again later).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether a `redis-server` binary can be started at all (benches skip without one).
pub fn available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running `redis-server`; killed when dropped.
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// `--requirepass`, if any; [`RedisServer::url`] then carries it.
    pub password: Option<String>,
    /// Its working directory: AOF files and `redis.log`.
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server without a password and waits until it answers.
    pub fn start() -> io::Result<RedisServer> {
        RedisServer::start_with_password(None)
    }

    /// Starts a server that requires `password`, if given.
    pub fn start_with_password(password: Option<&str>) -> io::Result<RedisServer> {
        let mut server = RedisServer {
            port: free_port()?,
            password: password.map(str::to_string),
            dir: tempfile::tempdir()?,
            child: None,
        };
        server.launch()?;
        Ok(server)
    }

    fn launch(&mut self) -> io::Result<()> {
        let mut cmd = Command::new("redis-server");
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        let child = cmd
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--appendonly", "yes", "--appendfsync", "everysec"])
            .args(["--save", ""])
            .args(["--maxmemory-policy", "noeviction"])
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(mut c) = redis::Client::open(self.url()).and_then(|c| c.get_connection())
                && redis::cmd("PING").query::<String>(&mut c).is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill9();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("redis-server on port {} did not answer PING", self.port),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://[:password@]127.0.0.1:port`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// `kill -9`: whatever AOF has not written yet is lost, as in a crash.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port and directory (AOF is replayed).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill9();
        self.launch()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill9();
    }
}
