//! One schema for both backends, written by hand with portable column types only
//! (`BigInt` ids, `Text`, `Timestamp` as UTC, `Date`, `Bool`, `Double`).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        must_change_password -> Bool,
        deactivated_at -> Nullable<Timestamp>,
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

diesel::table! {
    org_units (id) {
        id -> BigInt,
        external_id -> Text,
        name -> Text,
        parent_id -> Nullable<BigInt>,
        four_km_rule_allowed -> Bool,
        distance_to_border_m -> Nullable<BigInt>,
        address_registry_id -> Nullable<Text>,
        address_label -> Nullable<Text>,
        address_latitude -> Nullable<Double>,
        address_longitude -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    persons (id) {
        id -> BigInt,
        external_id -> Text,
        name -> Text,
        username -> Nullable<Text>,
        cpr -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        distance_to_border_m -> Nullable<BigInt>,
        email -> Nullable<Text>,
        mail_digest -> Bool,
    }
}

diesel::table! {
    employments (id) {
        id -> BigInt,
        person_id -> BigInt,
        org_unit_id -> BigInt,
        employment_number -> Text,
        position -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        cost_centre -> Nullable<Text>,
        is_leader -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    substitutes (id) {
        id -> BigInt,
        org_unit_id -> BigInt,
        substitute_person_id -> BigInt,
        start_date -> Date,
        end_date -> Nullable<Date>,
        takes_over -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    personal_approvers (id) {
        id -> BigInt,
        person_id -> BigInt,
        approver_person_id -> BigInt,
        start_date -> Date,
        end_date -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    person_addresses (id) {
        id -> BigInt,
        person_id -> BigInt,
        employment_id -> Nullable<BigInt>,
        kind -> Text,
        registry_address_id -> Text,
        label -> Text,
        latitude -> Double,
        longitude -> Double,
        valid_from -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    home_work_overrides (id) {
        id -> BigInt,
        person_id -> BigInt,
        employment_id -> BigInt,
        distance_m -> BigInt,
        valid_from -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    vehicles (id) {
        id -> BigInt,
        person_id -> BigInt,
        plate -> Text,
        description -> Text,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_types (id) {
        id -> BigInt,
        kind -> Text,
        valid_from -> Date,
        valid_to -> Date,
        description -> Text,
        tf_code -> Text,
        tf_code_2 -> Nullable<Text>,
        requires_license_plate -> Bool,
        is_bicycle -> Bool,
        ore_per_km -> BigInt,
        unverified -> Bool,
    }
}

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

diesel::table! {
    trips (id) {
        id -> BigInt,
        user_id -> BigInt,
        client_trip_id -> Text,
        body_sha256 -> Text,
        employment_id -> Nullable<BigInt>,
        vehicle_id -> Nullable<BigInt>,
        purpose -> Nullable<Text>,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        local_date -> Date,
        distance_m -> BigInt,
        naive_distance_m -> BigInt,
        uncertainty_m -> BigInt,
        points_in -> BigInt,
        points_used -> BigInt,
        quality -> Text,
        start_latitude -> Double,
        start_longitude -> Double,
        end_latitude -> Double,
        end_longitude -> Double,
        start_address_id -> Nullable<Text>,
        start_address_label -> Nullable<Text>,
        start_address_distance_m -> Nullable<BigInt>,
        end_address_id -> Nullable<Text>,
        end_address_label -> Nullable<Text>,
        end_address_distance_m -> Nullable<BigInt>,
        starts_at_home -> Bool,
        ends_at_home -> Bool,
        starts_at_work -> Bool,
        ends_at_work -> Bool,
        track -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    drive_reports (id) {
        id -> BigInt,
        person_id -> BigInt,
        employment_id -> BigInt,
        rate_type_id -> BigInt,
        vehicle_id -> Nullable<BigInt>,
        trip_id -> Nullable<BigInt>,
        drive_date -> Date,
        purpose -> Text,
        remark -> Nullable<Text>,
        distance_mode -> Text,
        is_round_trip -> Bool,
        route -> Text,
        typed_distance_m -> Nullable<BigInt>,
        starts_at_home -> Bool,
        ends_at_home -> Bool,
        four_km_rule -> Bool,
        route_distance_m -> BigInt,
        home_work_deduction_m -> BigInt,
        four_km_deduction_m -> BigInt,
        reimbursable_m -> BigInt,
        amount_ore -> BigInt,
        status -> Text,
        version -> BigInt,
        rejection_comment -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        decided_by_user_id -> Nullable<BigInt>,
        created_by_user_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        account -> Nullable<Text>,
        review_flags -> Nullable<Text>,
    }
}

diesel::table! {
    report_lines (id) {
        id -> BigInt,
        report_id -> BigInt,
        position -> BigInt,
        tf_code -> Text,
        rate_kind -> Text,
        distance_m -> BigInt,
        ore_per_km -> BigInt,
        amount_ore -> BigInt,
    }
}

diesel::table! {
    report_events (id) {
        id -> BigInt,
        report_id -> BigInt,
        actor_user_id -> Nullable<BigInt>,
        at -> Timestamp,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        version -> BigInt,
        changes -> Nullable<Text>,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    payroll_batches (id) {
        id -> BigInt,
        format -> Text,
        up_to -> Date,
        settings -> Text,
        created_by_user_id -> Nullable<BigInt>,
        created_by -> Text,
        created_at -> Timestamp,
        report_count -> BigInt,
        line_count -> BigInt,
        total_distance_m -> BigInt,
        total_amount_ore -> BigInt,
        first_fetched_at -> Nullable<Timestamp>,
        last_fetched_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
    }
}

diesel::table! {
    payroll_ledger (id) {
        id -> BigInt,
        batch_id -> BigInt,
        report_id -> BigInt,
        report_version -> BigInt,
        employment_number -> Text,
        person_name -> Text,
        cpr -> Nullable<Text>,
        drive_date -> Date,
        purpose -> Text,
        distance_m -> BigInt,
        amount_ore -> BigInt,
        released_at -> Nullable<Timestamp>,
        account -> Nullable<Text>,
    }
}

diesel::table! {
    payroll_lines (batch_id, seq) {
        batch_id -> BigInt,
        seq -> BigInt,
        report_id -> BigInt,
        tf_code -> Text,
        distance_m -> BigInt,
        ore_per_km -> BigInt,
        amount_ore -> BigInt,
    }
}

diesel::table! {
    payroll_api_keys (id) {
        id -> BigInt,
        name -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

// ---- the OS2indberetning phone apps (issue 14)

diesel::table! {
    app_passwords (user_id) {
        user_id -> BigInt,
        password_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    app_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    app_uploads (id) {
        id -> BigInt,
        user_id -> BigInt,
        uuid -> Text,
        body_sha256 -> Text,
        trip_id -> Nullable<BigInt>,
        report_id -> BigInt,
        app_total_distance_m -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        id_token_hint -> Nullable<Text>,
    }
}

// ---- operations: e-mail outbox and scheduled jobs (issue 16)

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        kind -> Text,
        person_id -> Nullable<BigInt>,
        recipient -> Nullable<Text>,
        payload -> Text,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    scheduled_jobs (name) {
        name -> Text,
        next_due_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_result -> Nullable<Text>,
        last_detail -> Nullable<Text>,
        runs -> BigInt,
    }
}

diesel::table! {
    job_runs (id) {
        id -> BigInt,
        job -> Text,
        instance -> Text,
        due_at -> Timestamp,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(employments -> persons (person_id));
diesel::joinable!(employments -> org_units (org_unit_id));
diesel::joinable!(trips -> users (user_id));
diesel::joinable!(drive_reports -> persons (person_id));
diesel::joinable!(drive_reports -> employments (employment_id));
diesel::joinable!(drive_reports -> rate_types (rate_type_id));
diesel::joinable!(report_lines -> drive_reports (report_id));
diesel::joinable!(report_events -> drive_reports (report_id));
diesel::joinable!(payroll_ledger -> payroll_batches (batch_id));
diesel::joinable!(payroll_ledger -> drive_reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    app_settings,
    access_addresses,
    unit_addresses,
    org_units,
    persons,
    employments,
    substitutes,
    personal_approvers,
    person_addresses,
    home_work_overrides,
    vehicles,
    rate_types,
    trips,
    drive_reports,
    report_lines,
    report_events,
    payroll_batches,
    payroll_ledger,
    payroll_lines,
    payroll_api_keys,
    app_passwords,
    app_tokens,
    app_uploads,
    web_sessions,
    mail_outbox,
    scheduled_jobs,
    job_runs,
);

// issue 17: state shared by the instances on one database.
diesel::table! {
    login_failures (id) {
        id -> BigInt,
        scope -> Text,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    address_registry (id) {
        id -> BigInt,
        generation -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    address_index_snapshots (generation, part) {
        generation -> BigInt,
        part -> Integer,
        data -> Binary,
    }
}

// issue 18: single sign-on (OpenID Connect).
diesel::table! {
    oidc_logins (id) {
        id -> BigInt,
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    auth_events (id) {
        id -> BigInt,
        at -> Timestamp,
        kind -> Text,
        username -> Nullable<Text>,
        detail -> Text,
    }
}

// ---- administration pages (issue 15)

diesel::table! {
    import_previews (id) {
        id -> Text,
        kind -> Text,
        file_name -> Text,
        data -> Binary,
        created_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    address_import_runs (id) {
        id -> Text,
        created_by -> BigInt,
        file_name -> Text,
        file_bytes -> BigInt,
        state -> Text,
        summary -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}
