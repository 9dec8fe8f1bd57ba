package dev.peft4j.experiments.memorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/** Softmax cross-entropy over the 16 symbols of each of the 32 characters, averaged. */
final class HexCrossEntropy extends Loss {

    HexCrossEntropy() {
        super("hex-cross-entropy");
    }

    /**
     * The loss of logits (n, 32·16) against one-hot values (n, 32, 16).
     *
     * @param label the one-hot values
     * @param prediction the logits
     * @return the mean loss per character
     */
    @Override
    public NDArray evaluate(NDList label, NDList prediction) {
        NDArray oneHot = label.singletonOrThrow();
        NDArray logits = prediction.singletonOrThrow().reshape(oneHot.getShape());
        return logits.logSoftmax(-1).mul(oneHot).sum(new int[] {-1}).neg().mean();
    }
}
