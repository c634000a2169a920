CREATE TABLE exports(run_id BIGINT NOT NULL, segmentation VARCHAR NOT NULL, changes BOOLEAN NOT NULL, path VARCHAR NOT NULL, written_at TIMESTAMP NOT NULL);;
CREATE TABLE membership_intervals(entity BIGINT NOT NULL, code INTEGER NOT NULL, valid_from_run BIGINT NOT NULL, valid_to_run BIGINT);;
CREATE TABLE runs(run_id BIGINT PRIMARY KEY, pipeline VARCHAR NOT NULL, status VARCHAR NOT NULL, as_of DATE NOT NULL, run_key VARCHAR, spec_hash VARCHAR NOT NULL, segrun_version VARCHAR NOT NULL, vars JSON, sources JSON, steps JSON, started_at TIMESTAMP NOT NULL, published_at TIMESTAMP NOT NULL, replaced_by BIGINT);;
CREATE TABLE segmentation_versions(run_id BIGINT NOT NULL, segmentation VARCHAR NOT NULL, "method" VARCHAR NOT NULL, entities BIGINT NOT NULL, assigned BIGINT NOT NULL, summary JSON, model JSON);;
CREATE TABLE segments(run_id BIGINT NOT NULL, segmentation VARCHAR NOT NULL, segment VARCHAR NOT NULL, size BIGINT NOT NULL, "share" DOUBLE NOT NULL, entered BIGINT NOT NULL, exited BIGINT NOT NULL, stayed BIGINT NOT NULL, description VARCHAR);;
CREATE TABLE segment_codes(code INTEGER PRIMARY KEY, segmentation VARCHAR NOT NULL, segment VARCHAR NOT NULL, UNIQUE(segmentation, segment));;
CREATE TABLE segrun_meta("key" VARCHAR PRIMARY KEY, "value" VARCHAR NOT NULL);;
CREATE TABLE transitions(run_id BIGINT NOT NULL, segmentation VARCHAR NOT NULL, from_segment VARCHAR, to_segment VARCHAR, entities BIGINT NOT NULL);;
CREATE MACRO memberships_as_of (run) AS TABLE (SELECT entity, segmentation, segment FROM memberships WHERE ((valid_from_run <= run) AND ((valid_to_run IS NULL) OR (valid_to_run > run))));;
CREATE VIEW changes AS (SELECT valid_from_run AS run_id, segmentation, entity, segment, 'entered' AS "event" FROM memberships) UNION ALL (SELECT valid_to_run AS run_id, segmentation, entity, segment, 'exited' AS "event" FROM memberships WHERE (valid_to_run IS NOT NULL));;
CREATE VIEW current_memberships AS SELECT entity, segmentation, segment, valid_from_run AS since_run FROM memberships WHERE (valid_to_run IS NULL);;
CREATE VIEW memberships AS SELECT i.entity, c.segmentation, c.segment, i.valid_from_run, i.valid_to_run FROM membership_intervals AS i INNER JOIN segment_codes AS c USING (code);;
CREATE VIEW moves AS SELECT COALESCE(x.run_id, e.run_id) AS run_id, COALESCE(x.segmentation, e.segmentation) AS segmentation, COALESCE(x.entity, e.entity) AS entity, x.segment AS from_segment, e.segment AS to_segment FROM (SELECT * FROM changes WHERE ("event" = 'exited')) AS x FULL JOIN (SELECT * FROM changes WHERE ("event" = 'entered')) AS e ON (((x.run_id = e.run_id) AND (x.segmentation = e.segmentation) AND (x.entity = e.entity)));;

