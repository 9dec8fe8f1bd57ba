package dev.peft4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a run has measured so far: losses by step, tokens and time; carried in checkpoints so that a
 * resumed run reports the whole run.
 */
final class TrainingHistory {

    /** A value at a step. */
    record Point(int step, double value) {}

    private final List<Point> trainLoss = new ArrayList<>();
    private final List<Point> evalLoss = new ArrayList<>();
    private long tokens;
    private double seconds;

    void addTrainLoss(int step, double loss) {
        trainLoss.add(new Point(step, loss));
    }

    void addEvalLoss(int step, double loss) {
        evalLoss.add(new Point(step, loss));
    }

    void addTokens(long count) {
        tokens += count;
    }

    void addSeconds(double elapsed) {
        seconds += elapsed;
    }

    List<Point> trainLoss() {
        return Collections.unmodifiableList(trainLoss);
    }

    List<Point> evalLoss() {
        return Collections.unmodifiableList(evalLoss);
    }

    long tokens() {
        return tokens;
    }

    double seconds() {
        return seconds;
    }
}
