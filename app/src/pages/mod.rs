pub mod landing;
pub mod not_found;
pub mod pricing;
