package dev.peft4j.cli.memorize;

/**
 * One run of the experiment.
 *
 * @param method {@code fft} or an adapter method's name
 * @param operator the MoRA operator, or {@code null} for other methods
 * @param rank r, the LoRA rank that sets the parameter budget
 * @param learningRate the AdamW learning rate
 */
record RunSpec(String method, String operator, int rank, float learningRate) {

    /** The full fine-tuning baseline's name. */
    static final String FFT = "fft";

    /**
     * How the run is labelled in tables and charts.
     *
     * @return for example {@code mora (rotation) r=8}
     */
    String label() {
        return method + (operator == null ? "" : " (" + operator + ")") + (FFT.equals(method) ? "" : " r=" + rank);
    }
}
