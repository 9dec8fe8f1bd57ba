package dev.peft4j.mora.spi;

/**
 * The shape a MoRA compression operator is bound to.
 *
 * @param outFeatures d
 * @param inFeatures k
 * @param reducedRank r̂, the side of the square matrix M
 * @param generalized whether shapes on which the official MoRA code crashes use the documented
 *     generalisation (docs/math.md §4.7) instead of failing with an error
 */
public record CompressionShape(int outFeatures, int inFeatures, int reducedRank, boolean generalized) {

    /**
     * Validates the fields.
     *
     * @param outFeatures d
     * @param inFeatures k
     * @param reducedRank r̂, the side of the square matrix M
     * @param generalized whether shapes on which the official MoRA code crashes use the documented
     *     generalisation (docs/math.md §4.7) instead of failing with an error
     */
    public CompressionShape {
        if (outFeatures <= 0 || inFeatures <= 0 || reducedRank <= 0) {
            throw new IllegalArgumentException(
                    "MoRA shape must be positive, got d=" + outFeatures + ", k=" + inFeatures + ", r̂=" + reducedRank);
        }
    }
}
