package cluster

import "fmt"

// PushdownError says why a clustering method's assignment cannot run as SQL on engine (nil when it can),
// for validation to report at the method's line before anything runs. k-means, mini-batch k-means,
// hierarchical and consensus assign with their stored centroids (the nearest one; hierarchical and
// consensus store their clusters' means), gmm with its mixture's log-densities: all of them are
// arithmetic over a row's own features. DBSCAN assigns a row to the cluster of its nearest core point
// within eps, among up to 50,000 stored core points: a nearest-neighbour search per row, which in SQL is
// a join of every row with every core point.
func PushdownError(method, engine string) error {
	switch method {
	case "kmeans", "minibatch_kmeans", "hierarchical", "consensus", "gmm":
		return nil
	case "dbscan":
		return fmt.Errorf("cluster method dbscan cannot run on engine %s: it assigns each row to the cluster of its nearest core point within eps, a nearest-neighbour search over up to 50,000 stored core points that has no SQL form short of joining every row with every core point; use kmeans, gmm or hierarchical, or engine duckdb", engine)
	}
	return fmt.Errorf("cluster method %s cannot run on engine %s: its assignment has no SQL form", method, engine)
}
