# Sweep PV1 (wired to CH3) across what CH3 can measure, -3.3 V to 3.3 V, and plot what arrives.
set_points = [step / 10 for step in range(-33, 34, 3)]
measured = []
for volts in set_points:
    set_pv1(volts)
    measured.append(get_voltage("CH3"))
plot(set_points, measured, xlabel="PV1 set (V)", ylabel="CH3 measured (V)")
print_("A straight line means the supply and the meter agree.")
