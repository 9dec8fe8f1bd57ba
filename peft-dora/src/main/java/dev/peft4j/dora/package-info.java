/** DoRA, weight-decomposed low-rank adaptation, as a peft4j plugin built on LoRA's branch. */
package dev.peft4j.dora;
