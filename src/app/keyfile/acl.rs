//! POSIX ACLs on a key file. systemd hands a service its credentials
//! (`LoadCredential=`) as files of mode 0400 owned by root, with an ACL
//! entry that lets the service's user read them; the mode bits then show
//! the ACL's mask in the group bits (0440), though no group can read the
//! file. Such a file is as private as a 0600 one, and is accepted.

/// The entry tags of the kernel's ACL format (`linux/posix_acl.h`).
const USER_OBJ: u16 = 0x01;
const USER: u16 = 0x02;
const GROUP_OBJ: u16 = 0x04;
const GROUP: u16 = 0x08;
const MASK: u16 = 0x10;
const OTHER: u16 = 0x20;
/// The only version of the extended attribute's format.
const VERSION: u32 = 2;

/// True when the access ACL `xattr` (the bytes of
/// `system.posix_acl_access`) lets no one but the file's owner and the user
/// `me` read or write the file: every named user other than `me`, the
/// owning group, every named group and others have no permission left
/// after the mask. False for anything it cannot read as such an ACL.
pub(super) fn only_owner_and(xattr: &[u8], me: u32) -> bool {
    let Some(entries) = parse(xattr) else {
        return false;
    };
    let mask = entries.iter().find(|e| e.0 == MASK).map_or(0o7, |e| e.1);
    entries.iter().all(|&(tag, perm, id)| match tag {
        USER_OBJ | MASK => true,
        USER => id == me || perm & mask == 0,
        GROUP_OBJ | GROUP => perm & mask == 0,
        OTHER => perm == 0,
        _ => false,
    })
}

/// The entries (tag, permission bits, id) of an ACL in the kernel's
/// little-endian format: a 4-byte version, then 8 bytes per entry.
fn parse(xattr: &[u8]) -> Option<Vec<(u16, u16, u32)>> {
    let (version, rest) = xattr.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*version) != VERSION || rest.len() % 8 != 0 {
        return None;
    }
    Some(
        rest.chunks_exact(8)
            .map(|e| {
                (
                    u16::from_le_bytes([e[0], e[1]]),
                    u16::from_le_bytes([e[2], e[3]]) & 0o7,
                    u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ACL in the kernel's format from (tag, perm, id) entries.
    fn acl(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let mut v = VERSION.to_le_bytes().to_vec();
        for &(t, p, i) in entries {
            v.extend(t.to_le_bytes());
            v.extend(p.to_le_bytes());
            v.extend(i.to_le_bytes());
        }
        v
    }

    const ANY: u32 = u32::MAX;

    #[test]
    fn systemd_credential_acl_is_private() {
        // What `setfacl -m u:nobody:r` on a 0400 file gives, as read back
        // from the kernel (getfattr): user::r, user:65534:r, group::-,
        // mask::r, other::-.
        let systemd = [
            0x02, 0, 0, 0, 0x01, 0, 0x04, 0, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0x04, 0, 0xfe, 0xff,
            0, 0, 0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x10, 0, 0x04, 0, 0xff, 0xff, 0xff, 0xff,
            0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ];
        assert!(only_owner_and(&systemd, 65534));
        // Another user reading it: someone else can.
        assert!(!only_owner_and(&systemd, 1000));
    }

    #[test]
    fn any_other_reader_or_writer_is_refused() {
        let base = |extra: &[(u16, u16, u32)]| {
            let mut e = vec![(USER_OBJ, 6, ANY), (GROUP_OBJ, 0, ANY), (OTHER, 0, ANY)];
            e.extend_from_slice(extra);
            acl(&e)
        };
        assert!(only_owner_and(&base(&[(USER, 4, 7), (MASK, 4, ANY)]), 7));
        assert!(only_owner_and(&base(&[(USER, 6, 7), (MASK, 6, ANY)]), 7));
        assert!(!only_owner_and(&base(&[(USER, 4, 8), (MASK, 4, ANY)]), 7));
        assert!(!only_owner_and(&base(&[(USER, 2, 8), (MASK, 6, ANY)]), 7));
        assert!(!only_owner_and(&base(&[(GROUP, 4, 4), (MASK, 4, ANY)]), 7));
        // The mask takes away what an entry would grant.
        assert!(only_owner_and(&base(&[(USER, 4, 8), (MASK, 0, ANY)]), 7));
        assert!(only_owner_and(&base(&[(GROUP, 6, 4), (MASK, 0, ANY)]), 7));
        let group_reads = acl(&[
            (USER_OBJ, 6, ANY),
            (GROUP_OBJ, 4, ANY),
            (USER, 4, 7),
            (MASK, 4, ANY),
            (OTHER, 0, ANY),
        ]);
        assert!(!only_owner_and(&group_reads, 7));
        let others_read = acl(&[(USER_OBJ, 6, ANY), (GROUP_OBJ, 0, ANY), (OTHER, 4, ANY)]);
        assert!(!only_owner_and(&others_read, 7));
    }

    #[test]
    fn what_is_not_an_acl_is_refused() {
        let good = acl(&[(USER_OBJ, 6, ANY), (GROUP_OBJ, 0, ANY), (OTHER, 0, ANY)]);
        assert!(only_owner_and(&good, 7));
        assert!(!only_owner_and(&good[..good.len() - 1], 7));
        assert!(!only_owner_and(&[], 7));
        let mut v1 = good.clone();
        v1[0] = 1;
        assert!(!only_owner_and(&v1, 7));
        let unknown = acl(&[(USER_OBJ, 6, ANY), (0x40, 0, ANY), (OTHER, 0, ANY)]);
        assert!(!only_owner_and(&unknown, 7));
    }
}
