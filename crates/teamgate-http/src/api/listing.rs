//! Pages of feature lists: the store is asked for one row more than the
//! page holds, which tells whether a next page exists without counting.

use std::collections::HashMap;

use teamgate_store::RowCursor;

use crate::api::{decode_cursor, encode_cursor, Page, Paging};
use crate::error::ApiResult;

/// The paging of a request and the position its cursor names.
pub struct Listing {
    pub limit: u32,
    pub position: Option<RowCursor>,
}

impl Listing {
    pub fn from_query(q: &HashMap<String, String>) -> ApiResult<Listing> {
        let paging = Paging::from_query(q)?;
        let position = paging.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(Listing {
            limit: paging.limit,
            position,
        })
    }

    /// What to ask the store for: one more than the page holds.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// The page of `rows` (fetched with [`Listing::fetch`]), with the cursor
    /// of its last row when more follow.
    pub fn page<T>(&self, mut rows: Vec<T>, position: impl Fn(&T) -> (i64, &str)) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|row| {
                let (ms, id) = position(row);
                encode_cursor(ms, id)
            })
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}
