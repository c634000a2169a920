package cluster

import (
	"testing"

	"github.com/segrun/segrun/internal/enginetest"
)

// TestMain stops the PostgreSQL server the differential tests share (internal/enginetest).
func TestMain(m *testing.M) { enginetest.Main(m) }
