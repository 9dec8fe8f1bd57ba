package dev.peft4j.mora.spi;

import ai.djl.ndarray.NDManager;
import java.util.OptionalInt;

/**
 * A MoRA compression/decompression operator family member; found by {@link MoraOperators} from its
 * {@code META-INF/services} entry.
 *
 * <p>Implementations are final, stateless, have a public no-argument constructor and register with
 * {@code @AutoService(CompressionOperator.class)}. Per-layer state lives in the {@link
 * Compression} returned by {@link #bind}.
 */
public interface CompressionOperator {

    /**
     * The operator's registry name, for example {@code rotation}.
     *
     * @return the name
     */
    String name();

    /**
     * The {@code mora_type} of kongds/MoRA this operator computes, if any.
     *
     * @return the official type number, or empty for paper-only operators
     */
    OptionalInt moraType();

    /**
     * Adjusts r̂ computed from the rank rule to what the operator needs (rotation makes it even).
     *
     * @param reducedRank r̂ from the rank rule
     * @return the r̂ to use
     */
    default int adjustRank(int reducedRank) {
        return reducedRank;
    }

    /**
     * Checks that the operator can bind to a shape, allocating nothing. Adapters call it when they
     * are created, so that a shape outside the operator's domain fails before a model changes;
     * {@link #bind} checks the same. The default accepts every shape.
     *
     * @param shape d, k, r̂ and whether the documented generalisation may be used
     * @throws dev.peft4j.spi.PeftException when the shape is outside the operator's domain
     */
    default void checkShape(CompressionShape shape) {}

    /**
     * Binds the operator to a layer.
     *
     * @param shape d, k and r̂
     * @param manager owns any tables the binding caches
     * @return the bound operator
     * @throws dev.peft4j.spi.PeftException when the shape is outside the operator's domain
     */
    Compression bind(CompressionShape shape, NDManager manager);
}
