package algorithms

import "errors"

// Stubs replaced by the DBSCAN implementation.

func fitDBSCAN(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	return nil, errors.New("dbscan: not implemented")
}

// DBSCANParams hold what DBSCAN needs to assign new rows.
type DBSCANParams struct{}

// Predict assigns rows to the cluster of a core point within eps, else Noise.
func (d *DBSCANParams) Predict(X *Matrix) []int { return make([]int, X.Rows) }
