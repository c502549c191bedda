// The converter's built-in quality sample: varied texts (short and long, prose, code, numbers,
// non-ASCII) on which a quantized model is compared with the f32 model before it is written.
#pragma once

namespace edgembed::convert {

inline constexpr const char* kQualitySample[] = {
    "A man is playing a guitar.",
    "Two dogs run across a snowy field.",
    "The stock market fell sharply on Monday.",
    "How do I reset my password?",
    "I loved the film, but the ending felt rushed.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The meeting was moved to Thursday at 3 pm because the projector is broken.",
    "Close the file descriptor before calling exec.",
    "The patient was given 5 mg of the drug twice a day for two weeks.",
    "Water boils at 100 degrees Celsius at sea level.",
    "She sells sea shells by the sea shore.",
    "no",
    "ok thanks",
    "Error: connection refused (port 8080)",
    "Le café est fermé le dimanche.",
    "Die Katze schläft auf dem Sofa.",
    "東京は日本の首都です。",
    "Prices rose 3.2% year over year, the fastest pace since 2008.",
    "int main(void) { return printf(\"hello\\n\") < 0; }",
    "The committee reviewed the budget line by line and asked the department to explain why travel costs had "
    "doubled, why two contracts had been signed without a tender, and when the audit report would be published.",
    "Mitochondria are membrane-bound organelles that generate most of the chemical energy needed to power the "
    "cell's biochemical reactions. Chemical energy produced by the mitochondria is stored in a small molecule "
    "called adenosine triphosphate. Mitochondria contain their own small chromosomes.",
    "To install the package, download the archive, unpack it into a directory of your choice, run the "
    "configure script with the prefix you want, then build it with make and install it with make install. "
    "If the build fails, check that the compiler and the development headers are installed, and read the log.",
    "The river flooded the lower town twice that spring. Each time the water came up through the drains first, "
    "then over the embankment, and each time the bakery on the corner lost its flour, its ovens and its "
    "customers, who moved up the hill to the new supermarket and did not come back when the water went down.",
    "In the first half the home team controlled possession but created few chances; after the break the "
    "visitors pressed higher, scored twice from corners and held on despite a late penalty.",
    "Returns the number of bytes read, or -1 if an error occurred, in which case errno is set to indicate the "
    "error. A return value of zero indicates end of file. It is not an error if this number is smaller than "
    "the number of bytes requested.",
    "What is the difference between a virus and a bacterium?",
    "Best pizza in town, friendly staff, will come again!",
    "The train to Edinburgh is delayed by forty minutes due to a signal failure near York.",
    "Quantum computers use qubits, which can exist in superpositions of states.",
    "Please find attached the signed contract and the invoice for March.",
    "He whispered that the key was under the third stone from the gate.",
    "A long time ago, in a small village between two mountains, there lived an old clockmaker who repaired "
    "every clock in the valley except his own, which had stopped at a quarter past four on the day his "
    "daughter left for the city and which he never wound again.",
};

}  // namespace edgembed::convert
