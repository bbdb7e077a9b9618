# Sweep PV1 (wired to CH3) from -4 V to 4 V and measure what arrives.
set_points = [volts / 2 for volts in range(-8, 9)]
measured = []
for volts in set_points:
    set_pv1(volts)
    measured.append(get_voltage("CH3"))
plot(set_points, measured)
print_("PV1 set (x) against CH3 measured (y): a straight line means the supply and the meter agree.")
