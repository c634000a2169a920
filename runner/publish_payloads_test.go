package runner

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// The run record's payloads are copied field by field into the store's types: every field of the runner's
// step reports and source fingerprints reaches the store, under the same name, in the same order (a field
// added to one and not the other fails here).
func TestStoredRunPayloadsMatchTheRunnersTypes(t *testing.T) {
	var fp SourceFingerprint
	fill(reflect.ValueOf(&fp).Elem())
	var step StepReport
	fill(reflect.ValueOf(&step).Elem())
	for _, c := range []struct {
		what       string
		own, store any
	}{
		{"steps", []StepReport{step}, storedSteps([]StepReport{step})},
		{"no steps", []StepReport{}, storedSteps([]StepReport{})},
	} {
		own, _ := json.Marshal(c.own)
		stored, _ := json.Marshal(c.store)
		if string(own) != string(stored) {
			t.Errorf("%s: the store records\n%s\nthe runner has\n%s", c.what, stored, own)
		}
	}
	var _ []store.StepTiming = storedSteps(nil)
}

// fill sets every field of v to a value that is not zero.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	}
}
