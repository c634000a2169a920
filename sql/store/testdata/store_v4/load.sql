COPY exports FROM 'FIXTURE_DIR/exports.csv' (FORMAT 'csv', force_not_null ('run_id', 'segmentation', 'changes', 'path', 'written_at'), quote '"', delimiter ',', header 1);
COPY membership_intervals FROM 'FIXTURE_DIR/membership_intervals.csv' (FORMAT 'csv', force_not_null ('entity', 'code', 'valid_from_run'), quote '"', delimiter ',', header 1);
COPY runs FROM 'FIXTURE_DIR/runs.csv' (FORMAT 'csv', force_not_null ('pipeline', 'status', 'as_of', 'spec_hash', 'segrun_version', 'started_at', 'published_at', 'run_id'), quote '"', delimiter ',', header 1);
COPY segmentation_versions FROM 'FIXTURE_DIR/segmentation_versions.csv' (FORMAT 'csv', force_not_null ('run_id', 'segmentation', 'method', 'entities', 'assigned'), quote '"', delimiter ',', header 1);
COPY segments FROM 'FIXTURE_DIR/segments.csv' (FORMAT 'csv', force_not_null ('run_id', 'segmentation', 'segment', 'size', 'share', 'entered', 'exited', 'stayed'), quote '"', delimiter ',', header 1);
COPY segment_codes FROM 'FIXTURE_DIR/segment_codes.csv' (FORMAT 'csv', force_not_null ('segmentation', 'segment', 'code'), quote '"', delimiter ',', header 1);
COPY segrun_meta FROM 'FIXTURE_DIR/segrun_meta.csv' (FORMAT 'csv', force_not_null ('value', 'key'), quote '"', delimiter ',', header 1);
COPY transitions FROM 'FIXTURE_DIR/transitions.csv' (FORMAT 'csv', force_not_null ('run_id', 'segmentation', 'entities'), quote '"', delimiter ',', header 1);
