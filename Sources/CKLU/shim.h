// SuiteSparse KLU (Davis & Palamadai Natarajan 2010), Debian libsuitesparse-dev: the sparse LU of the power-flow
// solver. Only EnergyModel/SparseLU.swift calls into it.
#include <suitesparse/klu.h>
