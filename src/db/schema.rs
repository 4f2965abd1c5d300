//! One schema for both backends, written by hand with portable column types only
//! (`BigInt` ids, `Text`, `Timestamp` as UTC, `Bool`, `Double`).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    access_addresses (id) {
        id -> Text,
        vejnavn -> Text,
        husnr -> Text,
        supplerendebynavn -> Nullable<Text>,
        postnr -> Integer,
        postnrnavn -> Text,
        kommunekode -> Integer,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        status -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    unit_addresses (id) {
        id -> Text,
        access_address_id -> Text,
        etage -> Nullable<Text>,
        dor -> Nullable<Text>,
        status -> Integer,
        active -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    app_settings,
    access_addresses,
    unit_addresses
);
