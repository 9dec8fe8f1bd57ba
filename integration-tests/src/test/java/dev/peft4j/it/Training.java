package dev.peft4j.it;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.train.GcSafeL2Loss;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.testkit.Dense;
import java.util.Random;

/**
 * Trains a model's adapters with DJL's Trainer and peft4j's AdamW on a fixed regression batch
 * (targets from a seeded random linear map of the inputs); each step's arrays live in a
 * sub-manager closed after the step.
 */
final class Training implements AutoCloseable {

    private static final float LEARNING_RATE = 0.02f;
    private static final int BATCH = 16;

    private final Model model;
    private final Trainer trainer;
    private final double[][] inputs;
    private final double[][] targets;

    /**
     * Sets a model's block to an adapted model and opens a trainer on it.
     *
     * @param model the DJL model that owns the weights
     * @param peft the adapted model
     */
    Training(Model model, PeftModel peft) {
        this.model = model;
        model.setBlock(peft.block());
        this.trainer = model.newTrainer(new DefaultTrainingConfig(new GcSafeL2Loss())
                .optOptimizer(RestartableAdamW.builder()
                        .optLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                        .build()));
        Random random = new Random(3);
        int in = Mlp.WIDTHS[0];
        int out = Mlp.WIDTHS[Mlp.WIDTHS.length - 1];
        this.inputs = Dense.random(random, BATCH, in);
        this.targets = Dense.matmul(inputs, Dense.random(random, in, out));
    }

    /**
     * One forward, backward and optimizer step.
     *
     * @return the loss before the step
     */
    float step() {
        try (NDManager step = model.getNDManager().newSubManager()) {
            NDArray input = Dense.toArray(step, inputs);
            NDArray target = Dense.toArray(step, targets);
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray prediction = trainer.forward(new NDList(input)).singletonOrThrow();
                NDArray value = trainer.getLoss().evaluate(new NDList(target), new NDList(prediction));
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            return loss;
        }
    }

    /**
     * Several steps.
     *
     * @param steps how many
     * @return the loss before the first step and before the last
     */
    float[] steps(int steps) {
        float first = step();
        float last = first;
        for (int i = 1; i < steps; i++) {
            last = step();
        }
        return new float[] {first, last};
    }

    /** Closes the trainer. */
    @Override
    public void close() {
        trainer.close();
    }
}
