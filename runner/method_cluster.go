package runner

import (
	"context"
	"errors"
)

// clusterSegmenter runs the algorithms package's preprocessing and clustering; it is completed when the
// k-means family lands.
type clusterSegmenter struct{}

// ClusterReport is a clustering's fit, validity and stability.
type ClusterReport struct{}

func (clusterSegmenter) run(ctx context.Context, e *execution, j *segJob) error {
	return errors.New("cluster segmentations are not available yet")
}
