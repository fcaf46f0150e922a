//! The rewriter a worker uses, whichever the configuration: truncation or
//! keyed pseudonyms, behind one type (for the listener, whose workers are
//! not specialised per rewriter).

use std::sync::Arc;

use super::keyed::{Keyed, KeyedConfig, LineKeying, LineRewrite};
use crate::addr::{Addr, AddrRewrite, Truncate};

/// The address rewriter a worker uses: truncation, or keyed pseudonyms.
pub enum Rewriter {
    /// Prefix truncation (the default).
    Truncate(Truncate),
    /// Keyed pseudonyms and/or user tokens.
    Keyed(Box<Keyed>),
}

impl Rewriter {
    /// Keyed when `keyed` is given, else truncation.
    pub fn new(truncate: Truncate, keyed: Option<&Arc<KeyedConfig>>) -> Self {
        match keyed {
            None => Rewriter::Truncate(truncate),
            Some(k) => Rewriter::Keyed(Box::new(Keyed::new(Arc::clone(k), truncate))),
        }
    }
}

impl AddrRewrite for Rewriter {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match self {
            Rewriter::Truncate(t) => t.rewrite(addr),
            Rewriter::Keyed(k) => k.rewrite(addr),
        }
    }

    #[inline]
    fn keeps_v4(&self) -> bool {
        match self {
            Rewriter::Truncate(t) => t.keeps_v4(),
            Rewriter::Keyed(k) => k.keeps_v4(),
        }
    }

    #[inline]
    fn keeps_v6(&self) -> bool {
        match self {
            Rewriter::Truncate(t) => t.keeps_v6(),
            Rewriter::Keyed(k) => k.keeps_v6(),
        }
    }
}

impl LineRewrite for Rewriter {
    #[inline]
    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        match self {
            Rewriter::Truncate(_) => LineKeying::Truncated,
            Rewriter::Keyed(k) => k.begin_line(time),
        }
    }

    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        match self {
            Rewriter::Truncate(_) => false,
            Rewriter::Keyed(k) => k.user_token(user, out),
        }
    }
}
