//! The README's snippets are code CI runs, word for word, so the code a
//! reader copies is the code CI builds and runs: the embedding snippet is
//! `examples/bare_metal.rs`, and the timer snippet is `core/README.md`'s,
//! which runs as a doctest.

/// The first rust code block after `after` in `text`.
fn rust_block<'a>(text: &'a str, after: &str) -> &'a str {
    text.split(after)
        .nth(1)
        .and_then(|rest| rest.split("```rust\n").nth(1))
        .and_then(|rest| rest.split("```\n").next())
        .unwrap_or_else(|| panic!("a rust code block after {after:?}"))
}

#[test]
fn readme_embedding_snippet_is_examples_bare_metal() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../../examples/bare_metal.rs");
    assert!(
        rust_block(readme, "\n## Embedding\n") == example,
        "README.md's embedding snippet differs from examples/bare_metal.rs"
    );
}

#[test]
fn readme_timer_snippet_is_the_core_readmes_doctest() {
    let readme = include_str!("../../README.md");
    let core_readme = include_str!("../../core/README.md");
    let snippet = rust_block(readme, "\nA loop with a timer and a deadline");
    assert!(snippet.contains("set_timer_every") && snippet.contains("run_for"));
    assert!(
        snippet == rust_block(core_readme, "\nA timer and a deadline"),
        "README.md's timer snippet differs from core/README.md's doctest"
    );
}
