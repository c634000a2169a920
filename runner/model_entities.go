package runner

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/sql"
)

// A model's output is one row per scored entity, read like any feature: a scored table with several rows
// for an entity would give it several scores, which a segmentation reading the model refuses later (or a
// feature joining it fans out), far from the cause. So the score table must have one row per entity (the
// run fails naming the model, the table and the most repeated entity), and a training table that does not
// is a warning: the entity's rows weigh more in the fit, and a random split can put some in the training
// part and others in the test part, so the test metrics see rows the model was fitted on.

// duplicateEntities counts the entity values appearing more than once in table and names the most
// repeated one (the smallest of equals) with its number of rows.
func (e *execution) duplicateEntities(ctx context.Context, table string) (dups int64, example string, rows int64, err error) {
	ent, tbl := sql.Ident(e.s.Entity), sql.Ident(table)
	q := fmt.Sprintf(`WITH d AS (SELECT CAST(%[1]s AS VARCHAR) AS entity, count(*) AS n FROM %[2]s WHERE %[1]s IS NOT NULL GROUP BY %[1]s HAVING count(*) > 1)
		SELECT (SELECT count(*) FROM d), coalesce((SELECT entity FROM d ORDER BY n DESC, entity LIMIT 1), ''), coalesce((SELECT max(n) FROM d), 0)`, ent, tbl)
	err = e.db.QueryRow(ctx, q).Scan(&dups, &example, &rows)
	return dups, example, rows, err
}

// checkModelEntities fails a model whose score table repeats an entity and warns when its training table
// does.
func (e *execution) checkModelEntities(ctx context.Context, name, trainTable, scoreTable string) error {
	describe := func(table string, dups int64, example string, rows int64) string {
		return fmt.Sprintf("%d %s %s %s more than once in %s (%s %s: %d rows)", dups, e.s.Entity, plural.Form(dups, "value", "values"),
			plural.Form(dups, "appears", "appear"), table, e.s.Entity, example, rows)
	}
	dups, example, rows, err := e.duplicateEntities(ctx, scoreTable)
	if err != nil {
		return err
	}
	if dups > 0 {
		return &Failure{Step: "model " + name, Msg: describe(scoreTable, dups, example, rows) +
			"; the model scores one row per entity, and would give these several scores: score a table with one row per entity (score:), or aggregate it"}
	}
	if trainTable == scoreTable {
		return nil
	}
	if dups, example, rows, err = e.duplicateEntities(ctx, trainTable); err != nil {
		return err
	}
	if dups > 0 {
		e.warn("model %s: %s; their rows weigh more in the fit, and the test part may hold rows of an entity the model was trained on", name, describe(trainTable, dups, example, rows))
	}
	return nil
}
