fn main() {
    // Migrations and the spec are embedded; edits to them must trigger a rebuild.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=openapi.yaml");
}
