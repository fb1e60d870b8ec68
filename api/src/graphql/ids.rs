//! Global ids: opaque strings, unique across all types, that say which type they name.
//!
//! An id is base64url of `Type:key`. Clients must treat it as opaque; the prefix lets `node`
//! find the right table and lets a mutation refuse an id of the wrong type.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};
use crate::service::content::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    Content(Kind),
    User,
    Organisation,
    Interest,
    Notification,
    SavedSearch,
}

impl NodeType {
    fn prefix(self) -> &'static str {
        match self {
            NodeType::Content(Kind::Opportunity) => "Opportunity",
            NodeType::Content(Kind::Policy) => "Policy",
            NodeType::Content(Kind::Research) => "ResearchResult",
            NodeType::Content(Kind::Event) => "Event",
            NodeType::User => "User",
            NodeType::Organisation => "Organisation",
            NodeType::Interest => "Interest",
            NodeType::Notification => "Notification",
            NodeType::SavedSearch => "SavedSearch",
        }
    }

    fn from_prefix(prefix: &str) -> Option<NodeType> {
        [
            NodeType::Content(Kind::Opportunity),
            NodeType::Content(Kind::Policy),
            NodeType::Content(Kind::Research),
            NodeType::Content(Kind::Event),
            NodeType::User,
            NodeType::Organisation,
            NodeType::Interest,
            NodeType::Notification,
            NodeType::SavedSearch,
        ]
        .into_iter()
        .find(|node_type| node_type.prefix() == prefix)
    }
}

pub fn encode(node_type: NodeType, key: &str) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{}:{key}", node_type.prefix())))
}

/// The type and key of an id; `BAD_USER_INPUT` naming `field` when it is not one of ours.
pub fn decode(field: &str, id: &str) -> Result<(NodeType, String)> {
    let invalid = || Error::bad_input(field, "not a valid id");
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim().as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (prefix, key) = text.split_once(':').ok_or_else(invalid)?;
    let node_type = NodeType::from_prefix(prefix).ok_or_else(invalid)?;
    if key.is_empty() || key.len() > 64 {
        return Err(invalid());
    }
    Ok((node_type, key.to_owned()))
}

/// The key of an id that must name a `node_type`; `BAD_USER_INPUT` naming `field` otherwise.
pub fn decode_as(field: &str, id: &str, node_type: NodeType) -> Result<String> {
    match decode(field, id)? {
        (found, key) if found == node_type => Ok(key),
        _ => Err(Error::bad_input(
            field,
            format!("not the id of a {}", node_type.prefix()),
        )),
    }
}

/// The key of a content id of any kind, with its kind.
pub fn decode_content(field: &str, id: &str) -> Result<(Kind, String)> {
    match decode(field, id)? {
        (NodeType::Content(kind), key) => Ok((kind, key)),
        _ => Err(Error::bad_input(field, "not the id of a content item")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_their_type() {
        let id = encode(NodeType::Content(Kind::Event), "0193-abc");
        assert_eq!(
            decode("id", &id).unwrap(),
            (NodeType::Content(Kind::Event), "0193-abc".to_owned())
        );
        assert_ne!(encode(NodeType::Content(Kind::Policy), "0193-abc"), id);
    }

    #[test]
    fn foreign_ids_are_refused() {
        for bad in [
            "",
            "42",
            "not base64!",
            &URL_SAFE_NO_PAD.encode("Planet:1"),
            &URL_SAFE_NO_PAD.encode("User:"),
        ] {
            assert!(decode("id", bad).is_err(), "{bad}");
        }
    }
}
