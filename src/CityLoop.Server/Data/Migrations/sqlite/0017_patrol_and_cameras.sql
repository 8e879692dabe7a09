-- 0017 The inspector's patrol (duty shifts and the positions posted while on duty, so that 漏报 can be assessed)
-- and the camera / AI-detector alerts that fold into one case per camera and category (docs/decisions/023).
CREATE TABLE "patrol_shifts" (
    "id" TEXT NOT NULL CONSTRAINT "PK_patrol_shifts" PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "user_name" TEXT NOT NULL,
    "started_at" INTEGER NOT NULL,
    "ended_at" INTEGER NULL,
    "last_position_at" INTEGER NULL
);
CREATE INDEX "ix_patrol_shifts_user_id_started_at" ON "patrol_shifts" ("user_id", "started_at");
CREATE INDEX "ix_patrol_shifts_started_at" ON "patrol_shifts" ("started_at");

CREATE TABLE "patrol_positions" (
    "id" TEXT NOT NULL CONSTRAINT "PK_patrol_positions" PRIMARY KEY,
    "shift_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "at" INTEGER NOT NULL,
    "latitude" REAL NOT NULL,
    "longitude" REAL NOT NULL,
    "accuracy" REAL NULL,
    "grid_code" TEXT NULL,
    "received_at" INTEGER NOT NULL
);
CREATE INDEX "ix_patrol_positions_user_id_at" ON "patrol_positions" ("user_id", "at");

CREATE TABLE "camera_alerts" (
    "id" TEXT NOT NULL CONSTRAINT "PK_camera_alerts" PRIMARY KEY,
    "principal" TEXT NOT NULL,
    "camera_id" TEXT NOT NULL,
    "category_code" TEXT NOT NULL,
    "alert_id" TEXT NULL,
    "detected_at" INTEGER NOT NULL,
    "received_at" INTEGER NOT NULL,
    "confidence" REAL NOT NULL,
    "latitude" REAL NULL,
    "longitude" REAL NULL,
    "case_id" TEXT NOT NULL,
    "attachment_id" TEXT NULL,
    "folded" INTEGER NOT NULL
);
CREATE INDEX "ix_camera_alerts_camera_id_category_code_detected_at" ON "camera_alerts" ("camera_id", "category_code", "detected_at");
CREATE INDEX "ix_camera_alerts_case_id" ON "camera_alerts" ("case_id");
