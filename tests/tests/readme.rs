//! The README's embedding snippet is `examples/bare_metal.rs`, word for word,
//! so the code a reader copies is the code CI builds and runs.

#[test]
fn readme_embedding_snippet_is_examples_bare_metal() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../../examples/bare_metal.rs");
    let section = readme
        .split("\n## Embedding\n")
        .nth(1)
        .expect("an Embedding section");
    let snippet = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("a rust code block in the Embedding section");
    assert!(
        snippet == example,
        "README.md's embedding snippet differs from examples/bare_metal.rs"
    );
}
