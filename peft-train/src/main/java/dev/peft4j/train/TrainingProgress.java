package dev.peft4j.train;

/** Receives what a run does, for progress bars and logs. */
public interface TrainingProgress {

    /**
     * One optimizer step is done.
     *
     * @param step the step, 1-based
     * @param totalSteps the run's steps
     * @param loss the step's training loss (mean NLL per trained token)
     * @param learningRate the rate the step used
     * @param tokensPerSecond real (unpadded) tokens per second since the run started or resumed
     * @param secondsLeft the estimated time to the end
     */
    void step(int step, int totalSteps, double loss, double learningRate, double tokensPerSecond, double secondsLeft);

    /**
     * An evaluation is done.
     *
     * @param step the step it followed
     * @param loss the mean NLL per trained eval token
     */
    void evaluated(int step, double loss);

    /** Reports nothing. */
    TrainingProgress NONE = new TrainingProgress() {
        @Override
        public void step(
                int step,
                int totalSteps,
                double loss,
                double learningRate,
                double tokensPerSecond,
                double secondsLeft) {}

        @Override
        public void evaluated(int step, double loss) {}
    };
}
