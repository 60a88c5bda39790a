//! The career mentor. `onet.rs`: the occupational data it rests on, parsed
//! once per process. `skills.rs`: what people type as skills, matched to it.

pub mod onet;
pub mod skills;
