//! Integration tests of the whole router, on SQLite and on PostgreSQL.

mod support;

mod assets;
mod contact_sales;
mod health;
mod pages;
mod shutdown;
mod startup;
