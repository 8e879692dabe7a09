-- 0018 Thumbnails of images attached to cases, kept with the attachment (docs/decisions/024).
ALTER TABLE "attachments" ADD COLUMN "thumbnail" BLOB NULL;
