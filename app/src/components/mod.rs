//! Building blocks shared by the pages.

pub mod clock;
pub mod feedback;
pub mod format;
pub mod forms;
pub mod live;
pub mod meter;
pub mod upload;
pub mod url;
