//! Pagination: every list is paged, with a bounded page size.

use serde::{Deserialize, Serialize};

pub const DEFAULT_PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PageRequest {
    /// 1-based.
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

fn first_page() -> u32 {
    1
}
fn default_per_page() -> u32 {
    DEFAULT_PER_PAGE
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.page == 0 {
            return Err(("page", "must be 1 or more".into()));
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return Err(("per_page", format!("must be between 1 and {MAX_PER_PAGE}")));
        }
        Ok(())
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Page {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_bounds() {
        let p = PageRequest {
            page: 3,
            per_page: 20,
        };
        assert_eq!((p.offset(), p.limit()), (40, 20));
        assert!(PageRequest {
            page: 0,
            per_page: 20
        }
        .validate()
        .is_err());
        assert!(PageRequest {
            page: 1,
            per_page: 201
        }
        .validate()
        .is_err());
        assert!(PageRequest::default().validate().is_ok());
    }
}
