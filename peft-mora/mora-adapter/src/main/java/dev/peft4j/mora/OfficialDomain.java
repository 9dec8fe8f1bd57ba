package dev.peft4j.mora;

import dev.peft4j.mora.spi.CompressionShape;
import dev.peft4j.spi.PeftException;

/**
 * The shapes on which kongds/MoRA's code runs (docs/math.md §4.7), for operators to check when they
 * bind. Outside them an operator fails with a message that says what to do, unless the MoRA option
 * {@code generalized=true} lets it use its documented generalisation.
 */
public final class OfficialDomain {

    private OfficialDomain() {}

    /**
     * Fails unless a shape is inside the official domain or the generalisation is allowed.
     *
     * @param shape d, k, r̂ and whether the generalisation is allowed
     * @param operator the operator's name, for the message
     * @param inside whether the official code runs on this shape
     * @param failure why it does not, for example {@code "r̂ > 2k, so its cyclic input padding is
     *     too short and its forward fails"}
     * @throws PeftException when the shape is outside and the generalisation is not allowed
     */
    public static void require(CompressionShape shape, String operator, boolean inside, String failure) {
        if (!inside && !shape.generalized()) {
            throw new PeftException("Operator '"
                    + operator
                    + "' cannot bind d="
                    + shape.outFeatures()
                    + ", k="
                    + shape.inFeatures()
                    + ", r̂="
                    + shape.reducedRank()
                    + " as kongds/MoRA does: "
                    + failure
                    + " (docs/math.md §4.7). Set the MoRA option "
                    + MoraOptions.GENERALIZED
                    + "=true to use the documented generalisation, or choose another rank or operator.");
        }
    }

    /**
     * Fails when r̂ > 2k for an operator that pads its input cyclically (types 1, 4, 6 and
     * decoupling): the official {@code cat(x, x[..., :pad])} is then shorter than {@code n_k·r̂}.
     * The generalisation is {@code x̃_p = x_{p mod k}} for every p.
     *
     * @param shape d, k, r̂ and whether the generalisation is allowed
     * @param operator the operator's name, for the message
     * @throws PeftException when r̂ > 2k and the generalisation is not allowed
     */
    public static void requireCyclicPaddingFits(CompressionShape shape, String operator) {
        require(
                shape,
                operator,
                shape.reducedRank() <= 2L * shape.inFeatures(),
                "r̂ > 2k, so its cyclic input padding cat(x, x[..., :pad]) is too short and its forward fails");
    }
}
