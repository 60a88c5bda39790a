pub mod auth;
pub mod dashboard;
pub mod invite;
pub mod landing;
pub mod mentor;
pub mod not_found;
pub mod pricing;
