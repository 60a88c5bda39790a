//! Integration tests of the whole router, on SQLite and on PostgreSQL.

mod support;

mod fake_embeddings;
mod fake_llm;

mod accounts;
mod assets;
mod chat;
mod contact_sales;
mod csrf;
mod health;
mod isolation;
mod knowledge;
mod llm;
mod mail;
mod pages;
mod recovery;
mod shutdown;
mod startup;
mod team;
mod tokens;
