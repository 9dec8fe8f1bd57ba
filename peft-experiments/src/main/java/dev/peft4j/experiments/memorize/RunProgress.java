package dev.peft4j.experiments.memorize;

/** Where a run reports its steps, for progress bars and logs. */
@FunctionalInterface
public interface RunProgress {

    /** Reports nothing. */
    RunProgress NONE = (label, steps) -> (step, details) -> {};

    /**
     * A run starts.
     *
     * @param label the run's label, for example {@code mora-rotation r=8}
     * @param steps the run's training steps
     * @return what receives its steps
     */
    Steps start(String label, int steps);

    /** Receives one run's steps. */
    @FunctionalInterface
    interface Steps {

        /**
         * A training step is done.
         *
         * @param step the step, 1-based
         * @param details the latest loss and accuracy, as text
         */
        void update(int step, String details);
    }
}
