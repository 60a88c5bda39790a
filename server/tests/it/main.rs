//! Integration tests of the whole router, on SQLite and on PostgreSQL.

mod server_process;
mod support;

mod fake_embeddings;
mod fake_llm;
mod fake_stripe;

mod accounts;
mod answers;
mod assets;
mod billing;
mod business_hours;
mod canned_replies;
mod chat;
mod contact_sales;
mod csrf;
mod desk;
mod email_followup;
mod fair_use;
mod first_run;
mod health;
mod ingest_limits;
mod isolation;
mod knowledge;
mod knowledge_jobs;
mod llm;
mod mail;
mod mentor;
mod mentor_api;
mod mentor_chat;
mod mentor_resume;
mod pages;
mod recovery;
mod reply_drafts;
mod requests;
mod shutdown;
mod startup;
mod team;
mod ticket_merges;
mod ticket_notes;
mod ticket_routing;
mod tickets;
mod tokens;
mod uploads;
mod visitor_identity;
