package dev.peft4j.bench;

/**
 * The shape of a benchmark: one square linear layer and a batch.
 *
 * @param features d = k, the layer's output and input features
 * @param rank r, the adapter's rank (MoRA derives r̂ from it)
 * @param tokens the rows of the input batch
 */
public record BenchSize(int features, int rank, int tokens) {

    /**
     * Validates the fields.
     *
     * @param features d = k, the layer's output and input features
     * @param rank r, the adapter's rank (MoRA derives r̂ from it)
     * @param tokens the rows of the input batch
     */
    public BenchSize {
        if (features <= 0 || rank <= 0 || tokens <= 0) {
            throw new IllegalArgumentException(
                    "Benchmark sizes must be positive, got d=" + features + ", r=" + rank + ", tokens=" + tokens);
        }
    }

    @Override
    public String toString() {
        return "d=k=" + features + ", r=" + rank + ", " + tokens + " tokens";
    }
}
