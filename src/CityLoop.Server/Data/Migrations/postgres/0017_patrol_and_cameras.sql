-- 0017 The inspector's patrol (duty shifts and the positions posted while on duty, so that 漏报 can be assessed)
-- and the camera / AI-detector alerts that fold into one case per camera and category (docs/decisions/023).
CREATE TABLE patrol_shifts (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    user_name character varying(64) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    last_position_at timestamp with time zone,
    CONSTRAINT "PK_patrol_shifts" PRIMARY KEY (id)
);
CREATE INDEX ix_patrol_shifts_user_id_started_at ON patrol_shifts (user_id, started_at);
CREATE INDEX ix_patrol_shifts_started_at ON patrol_shifts (started_at);

CREATE TABLE patrol_positions (
    id uuid NOT NULL,
    shift_id uuid NOT NULL,
    user_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    latitude double precision NOT NULL,
    longitude double precision NOT NULL,
    accuracy double precision,
    grid_code character varying(64),
    received_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_patrol_positions" PRIMARY KEY (id)
);
CREATE INDEX ix_patrol_positions_user_id_at ON patrol_positions (user_id, at);

CREATE TABLE camera_alerts (
    id uuid NOT NULL,
    principal character varying(100) NOT NULL,
    camera_id character varying(64) NOT NULL,
    category_code character varying(64) NOT NULL,
    alert_id character varying(64),
    detected_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone NOT NULL,
    confidence double precision NOT NULL,
    latitude double precision,
    longitude double precision,
    case_id uuid NOT NULL,
    attachment_id uuid,
    folded boolean NOT NULL,
    CONSTRAINT "PK_camera_alerts" PRIMARY KEY (id)
);
CREATE INDEX ix_camera_alerts_camera_id_category_code_detected_at ON camera_alerts (camera_id, category_code, detected_at);
CREATE INDEX ix_camera_alerts_case_id ON camera_alerts (case_id);
