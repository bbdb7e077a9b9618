# Measure the resistor and the capacitor on the bench.
resistance = get_resistance()
capacitance = get_capacitance()
print(f"Resistor on RES: {resistance / 1000:.2f} kΩ")
print(f"Capacitor on CAP: {capacitance * 1e9:.1f} nF")
label("The RC time constant is " + f"{resistance * capacitance * 1e6:.1f} µs")
